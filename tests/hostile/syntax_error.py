"""A syntax error on line 4."""

def increment(self, amount=1)
    return 1
