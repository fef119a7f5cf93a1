"""The scratchgan networks rebuilt in other frameworks, for comparison only."""
