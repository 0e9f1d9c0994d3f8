"""``python -m jtai_tools.cli``: the same as the ``jtai`` command."""

from . import main

main()
