"""Reports and notices shared with audiences of the network: `/cst share`."""
