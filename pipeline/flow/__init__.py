"""The chain every integration runs: integrations, the extract -> map -> load steps, their actors, the broker."""
