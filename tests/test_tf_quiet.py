"""TensorFlow's and LiteRT's start-up chatter is kept off the terminal; real messages are not."""
import subprocess
import sys

from tests.conftest import REPO


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def test_the_filter_drops_only_the_known_info_lines():
    done = run_python(
        "import os\n"
        "from kiosk.core.base.tf_quiet import stderr_filtered\n"
        "with stderr_filtered():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1.2 1 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "    os.write(2, b'E0000 00:00:1.2 1 real.cc:1] something is really wrong\\n')\n"
        "    os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
        "    os.write(2, b'a warning of our own\\n')\n"
        "os.write(2, b'after\\n')\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "E0000 00:00:1.2 1 real.cc:1] something is really wrong\na warning of our own\nafter\n"


def test_importing_tensorflow_prints_nothing():
    done = run_python("from kiosk.core.base.tf_quiet import import_tensorflow\n"
                      "tf = import_tensorflow()\n"
                      "print(tf.__name__, tf.constant(2).numpy() * 21)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "tensorflow 42\n" and done.stderr == ""


def test_a_real_command_prints_only_its_answer(tmp_path):
    """`kiosk verify` loads MTCNN (TensorFlow) and FaceNet (LiteRT): stdout has the answer,
    stderr nothing."""
    from tests.conftest import SEED, seed_photo

    def kiosk(*argv):
        return subprocess.run([sys.executable, "-m", "kiosk", "--data-dir", str(tmp_path), *map(str, argv)],
                              capture_output=True, text=True, cwd=REPO, timeout=300)

    assert kiosk("enroll", "younes", seed_photo("younes")).returncode == 0
    done = kiosk("verify", SEED / "camera_0.jpg", "--as", "younes")
    assert done.returncode == 0 and done.stdout.startswith("accepted: the face is younes")
    assert done.stderr == ""
