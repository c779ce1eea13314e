"""Getting data in: reading files, presets for known exports, mapping, validation, catalog."""
