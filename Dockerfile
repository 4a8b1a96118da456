# authdoctor in a container: mitmweb with the addon, proxy on 8080, web UI on 8081.
#
#   docker build -t authdoctor .
#   docker run --rm -p 8080:8080 -p 8081:8081 authdoctor        # UI: the URL with ?token= in the log
#   docker run ... -v ./my-rules:/rules -v ./my-api.yaml:/profiles/my-api.yaml authdoctor \
#       --set authdoctor_rules=/rules --set authdoctor_profile=/profiles/my-api.yaml
#
# Behind a TLS-intercepting corporate proxy, give pip your CA bundle as a BuildKit secret:
#   docker build --secret id=pip_ca,src=/path/to/ca-bundle.pem -t authdoctor .
FROM debian:trixie-slim

# Debian trixie ships Python 3.13 (mitmproxy 12 needs 3.12 or newer); install only what is missing.
RUN python3 -c "import venv, ssl" 2>/dev/null \
 || (apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
     && rm -rf /var/lib/apt/lists/*)

RUN useradd --create-home --uid 10001 authdoctor
WORKDIR /opt/authdoctor
COPY pyproject.toml README.md ./
COPY src ./src
COPY rules ./rules
COPY addons ./addons

RUN --mount=type=secret,id=pip_ca,required=false \
    python3 -m venv /opt/venv \
 && if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi \
 && /opt/venv/bin/pip install --no-cache-dir --quiet . \
 && mkdir -p /rules /profiles && chown authdoctor /rules /profiles

USER authdoctor
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1
EXPOSE 8080 8081
VOLUME ["/home/authdoctor/.mitmproxy"]
# Inside the container both servers listen on all interfaces so the host can reach them; the web
# UI always asks for the token printed in the log (or a --set web_password=...).
ENTRYPOINT ["authdoctor", "web", "--listen-host", "0.0.0.0", "--web-host", "0.0.0.0", "--no-web-open-browser"]
