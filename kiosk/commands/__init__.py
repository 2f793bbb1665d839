"""Handlers of the ``kiosk`` sub-commands (parsing lives in ``kiosk.cli``): ``cmd_<name>``."""
from kiosk.commands.admin import cmd_admin, cmd_door, cmd_store
from kiosk.commands.enrolment import cmd_enroll, cmd_enroll_dir
from kiosk.commands.log import cmd_events, cmd_report
from kiosk.commands.people import cmd_people
from kiosk.commands.photos import cmd_identify, cmd_verify
from kiosk.commands.server import cmd_benchmark_store
from kiosk.commands.tools import (
                                  cmd_benchmark,
                                  cmd_benchmark_screen,
                                  cmd_calibrate,
                                  cmd_evaluate,
                                  cmd_evaluate_challenge,
                                  cmd_evaluate_detector,
                                  cmd_evaluate_pad,
                                  cmd_gui,
                                  cmd_self_test,
                                  cmd_weights,
)

__all__ = ["cmd_admin", "cmd_benchmark", "cmd_benchmark_screen", "cmd_benchmark_store", "cmd_calibrate", "cmd_door",
           "cmd_enroll", "cmd_enroll_dir", "cmd_evaluate", "cmd_evaluate_challenge", "cmd_evaluate_detector",
           "cmd_evaluate_pad", "cmd_events",
           "cmd_gui", "cmd_identify", "cmd_people", "cmd_report", "cmd_self_test", "cmd_store", "cmd_verify",
           "cmd_weights"]
