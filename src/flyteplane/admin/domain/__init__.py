"""The admin's domain rules, written once: phases, validation (a module per entity), cron, Flyte URLs, literal
types and names. Pure functions over flyteidl messages; nothing here touches the database or the network."""
