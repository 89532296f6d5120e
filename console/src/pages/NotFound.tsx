import { ui } from "../api";

export function NotFound({ what, back }: { what?: string; back?: string }) {
  return (
    <div class="notfound" data-testid="not-found">
      <h1>Not found</h1>
      <p>{what ? `${what} does not exist.` : "There is no page at this address."}</p>
      <p>
        <a href={back || ui.home()}>Back</a>
      </p>
    </div>
  );
}
