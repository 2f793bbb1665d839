"""`kiosk verify` and `kiosk identify`: check a photo (they log only with --log)."""
from __future__ import annotations

from kiosk.commands.common import emit_json, open_desk
from kiosk.core.base.vocabulary import DecisionKind, SecurityLevel
from kiosk.core.frontdesk.decisions import live_score_text


def cmd_verify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_desk(args) as desk:
        verdict = desk.verify_photo(image_rgb, args.claim, log_it=args.log)
        threshold, pad_threshold = desk.settings.verify_threshold, desk.settings.pad_threshold
        unchecked = _unchecked_turn(desk.settings.security_level)
    match, name = verdict.match, verdict.person.name
    accepted = verdict.decision.accepted
    if args.json:
        emit_json({"claimed": args.claim, "identity": name, "employee_id": verdict.person.employee_id,
                    "distance": match.distance if match else None, "accepted": accepted, "threshold": threshold,
                    "faces_in_image": verdict.faces_in_image,
                    "box": list(verdict.face.box_xywh) if verdict.face else None,
                    "decision": verdict.decision.kind, "live_score": verdict.decision.live_score,
                    "reason": "no face found" if match is None else verdict.decision.detail or None,
                    "logged": bool(args.log), "head_turn": unchecked or None})
    elif match is None:
        print(f"refused: no face found in {args.image}, so it cannot be {name}")
    elif match.accepted and not accepted:
        print(f"refused: the face is {name}, but {_why_not(verdict.decision, pad_threshold)}")
    elif accepted:
        live = verdict.decision.live_score
        print(f"accepted: the face is {name} (distance {match.distance:.3f} <= {threshold:.2f}"
              + ("" if live is None else f"; live score {live:.4f} >= {pad_threshold:g}") + ")"
              + (f"; {unchecked}" if unchecked else ""))
    else:
        print(f"refused: the face is not {name} (distance {match.distance:.3f} > {threshold:.2f})")
    return 0 if accepted else 1


def cmd_identify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_desk(args) as desk:
        results = desk.identify_photo(image_rgb, log_it=args.log)
        threshold, pad_threshold = desk.settings.identify_threshold, desk.settings.pad_threshold
    if args.json:
        emit_json({"faces": [_face_json(r) for r in results], "threshold": threshold})
    else:
        _print_faces(results, args.image, pad_threshold)
    return 0 if results else 1


def _face_json(r) -> dict:
    """One `IdentifiedFace`: "identity" is whom the face matched, "accepted" whether the door
    lets them in ("reason": the access log's reason)."""
    return {"box": list(r.face.box_xywh), "confidence": round(r.face.confidence, 4),
            "identity": r.match.name if r.match and r.match.accepted else None,
            "nearest": r.match.name if r.match else None,
            "distance": r.match.distance if r.match and r.match.person_id is not None else None,
            "accepted": r.decision.accepted, "decision": r.decision.kind,
            "reason": r.decision.detail or None}


def _print_faces(results, image: str, pad_threshold: float) -> None:
    if not results:
        print(f"no face found in {image}")
    for r in results:
        f = _face_json(r)
        who = f["identity"] or "not in the database"
        dist = f" (distance {f['distance']:.3f})" if f["distance"] is not None else ""
        refused = f": not let in: {_why_not(r.decision, pad_threshold)}" if f["identity"] and not f["accepted"] else ""
        print(f"face at {tuple(f['box'])}: {who}{dist}{refused}")


def _unchecked_turn(level: str) -> str:
    """At passive+challenge a photo passes the photo check only: the head turn the door would
    also ask for needs the live camera, so an acceptance here says it was not checked."""
    return "the head turn of passive+challenge needs the live camera: not checked" \
        if level == SecurityLevel.CHALLENGE else ""


def _why_not(decision, pad_threshold: float) -> str:
    """Why a recognised person is not let in ("disabled", "valid until …", a flat picture…):
    the access log's reason without their name in front; for the admin, so technical."""
    if decision.kind == DecisionKind.ATTACK:
        return f"this looks like a photo or a screen ({live_score_text(decision.live_score, pad_threshold)})"
    return decision.detail.removeprefix(f"{decision.name}: ")
