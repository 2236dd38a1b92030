"""Users, API tokens, ticket login and password change (/access/...)."""

from __future__ import annotations

from typing import Any

from .auth import login, make_csrf, make_ticket
from .errors import ApiError
from .formats import split_list

REALMS = {"pam", "pve"}
USER_FIELDS = ("enable", "expire", "firstname", "lastname", "email", "comment", "keys")


def _user(ctx, userid: str) -> dict[str, Any]:
    user = ctx.state["users"].get(userid)
    if user is None:
        raise ApiError(f"no such user ('{userid}')")
    return user


def _token_info(token: dict[str, Any]) -> dict[str, Any]:
    info = {"privsep": token.get("privsep", 1), "expire": token.get("expire", 0)}
    if token.get("comment"):
        info["comment"] = token["comment"]
    return info


def _public(userid: str, user: dict[str, Any], full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"userid": userid}
    for key in USER_FIELDS:
        if user.get(key) not in (None, ""):
            out[key] = user[key]
    out.setdefault("enable", 1)
    out.setdefault("expire", 0)
    out["realm-type"] = userid.rsplit("@", 1)[1]
    if user.get("groups"):
        out["groups"] = ",".join(user["groups"])
    if full:
        out["tokens"] = [
            {"tokenid": tid, **_token_info(tok)} for tid, tok in sorted(user["tokens"].items())
        ]
    return out


def list_users(ctx, params):
    rows = []
    for userid, user in sorted(ctx.state["users"].items()):
        if not ctx.ident.superuser and userid != ctx.ident.userid:
            continue
        if "enabled" in params and int(user.get("enable", 1)) != params["enabled"]:
            continue
        rows.append(_public(userid, user, bool(params.get("full"))))
    return rows


def create_user(ctx, params):
    userid = params["userid"]
    realm = userid.rsplit("@", 1)[1]
    if realm not in REALMS:
        raise ApiError(f"create user failed: domain '{realm}' does not exist")
    if userid in ctx.state["users"]:
        raise ApiError(f"create user failed: user '{userid}' already exists")
    if params.get("password") and realm != "pve":
        raise ApiError("create user failed: can't set password on non-pve realm")
    user: dict[str, Any] = {"tokens": {}, "enable": params.get("enable", 1)}
    for key in USER_FIELDS:
        if key in params:
            user[key] = params[key]
    if params.get("groups"):
        raise ApiError(f"create user failed: no such group '{split_list(params['groups'])[0]}'")
    if params.get("password"):
        user["password"] = params["password"]
    ctx.state["users"][userid] = user
    return None


def read_user(ctx, params):
    user = _user(ctx, params["userid"])
    out = _public(params["userid"], user, False)
    out.pop("userid")
    out.pop("realm-type")
    out["groups"] = list(user.get("groups", []))
    out["tokens"] = {tid: _token_info(tok) for tid, tok in sorted(user["tokens"].items())}
    return out


def update_user(ctx, params):
    user = _user(ctx, params["userid"])
    if params.get("groups"):
        raise ApiError(f"update user failed: no such group '{split_list(params['groups'])[0]}'")
    for key in USER_FIELDS:
        if key in params:
            user[key] = params[key]
    return None


def delete_user(ctx, params):
    _user(ctx, params["userid"])
    if params["userid"] == "root@pam":
        raise ApiError("delete user failed: cannot delete 'root@pam'")
    del ctx.state["users"][params["userid"]]
    return None


def list_tokens(ctx, params):
    user = _user(ctx, params["userid"])
    return [{"tokenid": tid, **_token_info(tok)} for tid, tok in sorted(user["tokens"].items())]


def _token(ctx, params) -> dict[str, Any]:
    user = _user(ctx, params["userid"])
    token = user["tokens"].get(params["tokenid"])
    if token is None:
        raise ApiError(f"no such token '{params['tokenid']}' for user '{params['userid']}'")
    return token


def read_token(ctx, params):
    return _token_info(_token(ctx, params))


def create_token(ctx, params):
    user = _user(ctx, params["userid"])
    tokenid = params["tokenid"]
    if tokenid in user["tokens"]:
        raise ApiError("Token already exists.")
    token = {
        "secret": ctx.uuid(),
        "privsep": params.get("privsep", 1),
        "expire": params.get("expire", user.get("expire", 0)),
    }
    if params.get("comment"):
        token["comment"] = params["comment"]
    user["tokens"][tokenid] = token
    return {
        "full-tokenid": f"{params['userid']}!{tokenid}",
        "info": _token_info(token),
        "value": token["secret"],
    }


def update_token(ctx, params):
    token = _token(ctx, params)
    for key in ("comment", "expire", "privsep"):
        if key in params:
            token[key] = params[key]
    for key in split_list(params.get("delete", "")):
        token.pop(key, None)
    return _token_info(token)


def delete_token(ctx, params):
    _token(ctx, params)
    del ctx.state["users"][params["userid"]]["tokens"][params["tokenid"]]
    return None


def ticket_page(ctx, params):
    return None


def create_ticket(ctx, params):
    userid = login(ctx.state, params["username"], params["password"], params.get("realm"))
    if userid is None:
        raise ApiError("authentication failure", 401)
    return {
        "username": userid,
        "ticket": make_ticket(ctx.state["secret"], userid, ctx.now),
        "CSRFPreventionToken": make_csrf(ctx.state["secret"], userid, ctx.now),
        "cap": {},
    }


def change_password(ctx, params):
    userid = params["userid"]
    if not ctx.ident.superuser and userid != ctx.ident.userid:
        raise ApiError(f"Permission check failed (/access/users/{userid}, User.Modify)", 403)
    user = _user(ctx, userid)
    if userid.rsplit("@", 1)[1] not in ("pve", "pam"):
        raise ApiError("change password failed: realm does not allow password changes")
    user["password"] = params["password"]
    return None
