"""Add a Content-Security-Policy <meta> to a built index.html.

No remote scripts, styles or fonts; inline scripts only by their SHA-256 (the
module loader Trunk writes); inline style attributes only (plotters measures
text with a styled span), never inline style sheets; 'wasm-unsafe-eval' to compile the app's wasm;
connect-src 'self' https: so a capture can be opened from a URL; workers only
from the page's own origin.
"""

import base64
import hashlib
import re
import sys

path = sys.argv[1]
html = open(path, encoding="utf-8").read()
html = re.sub(r'\s*<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
hashes = []
for body in re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S):
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    hashes.append("'sha256-%s'" % base64.b64encode(digest).decode())
policy = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval' " + " ".join(hashes),
        "style-src 'self'",
        # plotters measures label text with a styled <span>: style *attributes* only.
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self' https:",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
meta = '<meta http-equiv="Content-Security-Policy" content="%s" />' % policy
html = html.replace('<meta charset="utf-8" />', '<meta charset="utf-8" />\n    ' + meta, 1)
if meta not in html:
    sys.exit("csp.py: no <meta charset> to anchor the policy in " + path)
open(path, "w", encoding="utf-8").write(html)
print("csp.py: %d inline script(s) pinned in %s" % (len(hashes), path))
