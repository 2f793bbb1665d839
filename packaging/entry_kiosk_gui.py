"""Entry point of ``kiosk-gui.exe`` (Windows, no console window): ``kiosk gui [options]``.

kiosk.cli is imported by name so that PyInstaller's analysis of this script is instant: the
modules come from the main executable's analysis (see kiosk.spec).
"""
import importlib
import sys

if __name__ == "__main__":
    sys.exit(importlib.import_module("kiosk.cli").main(["gui", *sys.argv[1:]]))
