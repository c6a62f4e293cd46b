#!/usr/bin/env python3
"""moto's HTTPS proxy (moto 5.2.5) whose ECR tokens expire 12 hours after issue, as real ECR's do.

moto answers every GetAuthorizationToken with a fixed 2015 expiry, so neither helper would ever
keep a token and every "warm" scenario would measure cold fetches. This benchmark harness replaces
that one answer; everything else is moto's own code. Run with the virtualenv's python and moto's
proxy arguments (-H 127.0.0.1 -p PORT).
"""

import sys
from base64 import b64encode
from datetime import datetime, timedelta, timezone

from moto.core.responses import ActionResult
from moto.ecr.responses import ECRResponse
from moto.proxy import main

TOKEN_LIFE = timedelta(hours=12)


def get_authorization_token(self):
    registry_ids = self._get_param("registryIds") or [self.current_account]
    expires_at = datetime.now(timezone.utc) + TOKEN_LIFE
    return ActionResult({"authorizationData": [
        {
            "authorizationToken": b64encode(f"AWS:{registry_id}-auth-token".encode("ascii")).decode(),
            "expiresAt": expires_at,
            "proxyEndpoint": f"https://{registry_id}.dkr.ecr.{self.region}.amazonaws.com",
        }
        for registry_id in registry_ids
    ]})


ECRResponse.get_authorization_token = get_authorization_token

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
