"""Stage presets: align_shallow, align_deep, instruct, reasoning."""
