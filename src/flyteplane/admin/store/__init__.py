"""Every SQL statement of the admin: the database handle (:mod:`.db`), the tables and migrations, listing (filters,
sort, tokens), and one repository per entity, with its row <-> protobuf mapping beside it."""
