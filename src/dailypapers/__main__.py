"""``python -m dailypapers``: the same as the ``dailypapers`` command."""

from .cli import main

main()
