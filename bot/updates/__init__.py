"""The lead facilitators' monthly CST update to the management team: the draft, the form, the messages."""
