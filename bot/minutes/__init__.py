"""Management team meeting minutes, shared with every CST facilitator and passed on to their teams."""
