"""`python main.py` opens the front-desk screen (the same as `kiosk gui`)."""
import sys

from kiosk.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
