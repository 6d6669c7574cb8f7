"""``python -m dailypapers``: the same as the ``dailypapers`` command."""

from .cli import main

if __name__ == "__main__":  # guarded: worker processes import this module as __mp_main__
    main()
