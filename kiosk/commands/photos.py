"""`kiosk verify` and `kiosk identify`: check a photo (they log only with --log)."""
from __future__ import annotations

from kiosk.commands.common import emit_json, open_desk


def cmd_verify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_desk(args) as desk:
        verdict = desk.verify_photo(image_rgb, args.claim, log_it=args.log)
        threshold = desk.settings.verify_threshold
    match, name = verdict.match, verdict.person.name
    accepted = verdict.decision.accepted
    if args.json:
        emit_json({"claimed": args.claim, "identity": name, "employee_id": verdict.person.employee_id,
                    "distance": match.distance if match else None, "accepted": accepted, "threshold": threshold,
                    "faces_in_image": verdict.faces_in_image,
                    "box": list(verdict.face.box_xywh) if verdict.face else None,
                    "decision": verdict.decision.kind,
                    "reason": "no face found" if match is None else verdict.decision.detail or None,
                    "logged": bool(args.log)})
    elif match is None:
        print(f"refused: no face found in {args.image}, so it cannot be {name}")
    elif verdict.decision.kind == "not_active":
        print(f"refused: the face is {name}, but {verdict.decision.detail.split(': ', 1)[-1]}")
    elif accepted:
        print(f"accepted: the face is {name} (distance {match.distance:.3f} <= {threshold:.2f})")
    else:
        print(f"refused: the face is not {name} (distance {match.distance:.3f} > {threshold:.2f})")
    return 0 if accepted else 1


def cmd_identify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_desk(args) as desk:
        results = desk.identify_photo(image_rgb, log_it=args.log)
        threshold = desk.settings.identify_threshold
    faces = [{"box": list(r.face.box_xywh), "confidence": round(r.face.confidence, 4),
              "identity": r.match.name if r.match and r.match.accepted else None,
              "nearest": r.match.name if r.match else None,
              "distance": r.match.distance if r.match and r.match.person_id is not None else None}
             for r in results]
    if args.json:
        emit_json({"faces": faces, "threshold": threshold})
    else:
        _print_faces(faces, args.image)
    return 0 if faces else 1


def _print_faces(faces: list[dict], image: str) -> None:
    if not faces:
        print(f"no face found in {image}")
    for f in faces:
        who = f["identity"] or "not in the database"
        dist = f" (distance {f['distance']:.3f})" if f["distance"] is not None else ""
        print(f"face at {tuple(f['box'])}: {who}{dist}")
