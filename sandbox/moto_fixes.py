"""Where moto answers differently from IAM, made to answer as IAM does (FACTS.md, "Test doubles").

- ListMFADevices without UserName: IAM lists the devices of the user whose access key signed
  the request; moto looks up a user named None and answers NoSuchEntity. moto's own
  ListAccessKeys already resolves the caller this way, so the fix borrows its lookup.
"""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    """Patch moto's IAM responses in this process (idempotent)."""
    global _applied
    if _applied:
        return
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def list_mfa_devices(self: Any) -> Any:
        user_name = self._get_param("UserName")
        if not user_name:
            user_name = self.backend.get_access_key_last_used(self.get_access_key())["user_name"]
        devices = self.backend.list_mfa_devices(user_name)
        listed = [
            {"UserName": user_name, "SerialNumber": d.serial_number, "EnableDate": d.enable_date}
            for d in devices
        ]
        return ActionResult({"MFADevices": listed, "IsTruncated": False})

    IamResponse.list_mfa_devices = list_mfa_devices
    _applied = True
