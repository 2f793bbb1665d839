"""Handlers of the ``kiosk`` sub-commands (parsing lives in ``kiosk.cli``): ``cmd_<name>``."""
from kiosk.commands.admin import cmd_admin, cmd_door, cmd_store
from kiosk.commands.enrolment import cmd_enroll, cmd_enroll_dir
from kiosk.commands.log import cmd_events
from kiosk.commands.people import cmd_people
from kiosk.commands.photos import cmd_identify, cmd_verify
from kiosk.commands.tools import (
                                  cmd_benchmark,
                                  cmd_benchmark_screen,
                                  cmd_calibrate,
                                  cmd_evaluate,
                                  cmd_gui,
                                  cmd_self_test,
                                  cmd_weights,
)

__all__ = ["cmd_admin", "cmd_door", "cmd_store", "cmd_benchmark", "cmd_benchmark_screen", "cmd_calibrate", "cmd_enroll",
           "cmd_enroll_dir", "cmd_evaluate", "cmd_events", "cmd_gui", "cmd_identify", "cmd_people",
           "cmd_self_test", "cmd_verify", "cmd_weights"]
