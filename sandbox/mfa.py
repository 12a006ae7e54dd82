"""Virtual MFA devices in moto's IAM, as a user sets one up in the console or the CLI.

`enable_virtual_mfa` makes the device (CreateVirtualMFADevice gives the Base32 seed an
authenticator app would scan) and enables it for the user with two consecutive codes, as IAM
asks. moto checks neither code; they are real anyway (sandbox.totp), from the two steps *before*
now, so the current code and the next one are still unused for sandbox.sts_double.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox import totp


def enable_virtual_mfa(
    iam: Any, user_name: str, device_name: str | None = None, at: float | None = None
) -> tuple[str, str]:
    """Create and enable a virtual MFA device for `user_name`; (serial ARN, Base32 seed).

    `iam` is a boto3 IAM client (e.g. MotoIam.client("iam")); the device is named after the
    user unless `device_name` is given.
    """
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=device_name or user_name)
    device = device["VirtualMFADevice"]
    raw = device["Base32StringSeed"]  # a blob: boto3 gives the seed's ASCII bytes
    seed = raw.decode("ascii") if isinstance(raw, bytes) else str(raw)
    serial = str(device["SerialNumber"])
    now = time.time() if at is None else at
    iam.enable_mfa_device(
        UserName=user_name,
        SerialNumber=serial,
        AuthenticationCode1=totp.code(seed, now - 2 * totp.STEP),
        AuthenticationCode2=totp.code(seed, now - totp.STEP),
    )
    return serial, seed
