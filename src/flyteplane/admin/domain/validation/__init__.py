"""Request validation with Flyte Admin's messages, one module per entity (as Flyte Admin's
``pkg/manager/impl/validation``): ``common`` holds the checks every entity shares."""
