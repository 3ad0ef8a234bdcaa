"""Getting OPD self-assessments and assessor reviews into the engine: signed spreadsheet templates,
an all-or-nothing importer, and the value rules both share with the single-entry commands."""
