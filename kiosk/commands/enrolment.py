"""`kiosk enroll` and `kiosk enroll-dir`: photos to templates, through the front desk."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.commands.common import open_desk
from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import IMAGE_SUFFIXES


def cmd_enroll(args) -> int:
    with open_desk(args) as desk:
        files = desk.encode_files(args.images)
        if files.errors:
            print(f"error: nothing enrolled — {files.errors[0]}", file=sys.stderr)
            return 2
        person = desk.enrol(args.name, files.shots, args.employee_id)
    for took in filter(None, (shot.took_text() for shot in files.shots)):
        print(took)
    print(f"enrolled {person.name}" + (f" ({person.employee_id})" if person.employee_id else "")
          + f": {len(files.shots)} new template(s), {person.template_count} in all")
    return 0


def _person_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        raise KioskError(f"{root}: not a folder")
    return sorted(d for d in root.iterdir() if d.is_dir())


def _photos_of(folder: Path, skipped: list[str]) -> list[Path]:
    photos = []
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            photos.append(path)
        else:
            skipped.append(f"{path}: not a photo (takes {', '.join(IMAGE_SUFFIXES)})")
    return photos


def _enrol_person_dir(desk, folder: Path, run: "EnrolDirRun") -> tuple[str, int]:
    """Enrol one person's folder: ("enrolled" | "up to date" | "skipped", photos already in)."""
    skipped = run.skipped
    files = desk.encode_files(_photos_of(folder, skipped), skip_enrolled_of=folder.name)
    skipped.extend(files.errors)
    run.took.extend(filter(None, (shot.took_text() for shot in files.shots)))
    already = len(files.already_enrolled)
    if files.shots:
        desk.enrol(folder.name, files.shots)
        return "enrolled", already
    if already:
        return "up to date", already
    skipped.append(f"{folder}: no usable photo, person not enrolled")
    return "skipped", 0


def cmd_enroll_dir(args) -> int:
    from tqdm import tqdm

    folders = _person_dirs(Path(args.directory))
    run = EnrolDirRun(folders)
    with open_desk(args) as desk:
        try:
            for folder in tqdm(folders, desc="enrolling", unit="person", file=sys.stderr):
                run.done[folder.name], already = _enrol_person_dir(desk, folder, run)
                run.already += already
        except KioskError as exc:
            print(run.summary())
            print(f"error: stopped at {folder.name}: {exc}", file=sys.stderr)
            return 2
    print(run.summary())
    return 0 if {"enrolled", "up to date"} & set(run.done.values()) else 2


@dataclass
class EnrolDirRun:
    """What `enroll-dir` did so far, for its summary (also when it stops on an error)."""

    folders: list[Path]
    done: dict[str, str] = field(default_factory=dict)  # folder name -> outcome
    skipped: list[str] = field(default_factory=list)
    took: list[str] = field(default_factory=list)  # photos whose other detections were ignored
    already: int = 0  # photos skipped because they are enrolled already

    def names(self, outcome: str) -> list[str]:
        return [name for name, state in self.done.items() if state == outcome]

    def summary(self) -> str:
        enrolled, left = self.names("enrolled"), [f.name for f in self.folders if f.name not in self.done]
        lines = [f"enrolled {len(enrolled)} of {len(self.folders)} people; skipped {len(self.skipped)} item(s)"]
        if self.already:
            lines.append(f"  already enrolled (same image content), left as they are: {self.already} photo(s)"
                         f"; up to date: {', '.join(self.names('up to date')) or '-'}")
        lines += [f"  skipped: {reason}" for reason in self.skipped]
        lines += [f"  {took}" for took in self.took]
        if left:
            lines.append(f"  not done (stopped before them): {', '.join(left)}")
            lines.append(f"  enrolled before the stop: {', '.join(enrolled) or 'nobody'}")
        return "\n".join(lines)
