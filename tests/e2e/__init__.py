"""End-to-end checks: flytekit and flyteplane's clients against a real ``flyteplane sandbox`` process."""
