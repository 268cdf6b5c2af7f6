"""The allocation ledger of trainer matching's state stage: what each state contact committed, per school year."""
