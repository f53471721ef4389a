class ScratchError(Exception):
    """A user mistake or an AWS refusal, said in one sentence."""
