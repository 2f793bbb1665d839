"""Entry point of the frozen build: the ``kiosk`` command (``kiosk gui`` opens the screen)."""
import sys

from kiosk.cli import main

if __name__ == "__main__":
    sys.exit(main())
