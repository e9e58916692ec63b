# The suite's images, on top of the official Odoo 18 image (Ubuntu 24.04, Python 3.12).
#   docker compose up            builds and runs the `suite` stage (Odoo + the suite's dependencies)
#   docker compose run --rm test builds and runs the `test` stage (+ Chrome for the browser tours)

FROM odoo:18.0 AS suite
USER root
# What the addons need beyond Odoo's own dependencies, from Ubuntu's packages like the rest of the
# image (its pip refuses to install into the system Python, PEP 668). The list is checked by
# tests/run (docker/image-packages.txt): a dependency missing here fails CI, not a user's first start.
COPY docker/suite-apt-packages.txt /tmp/suite-apt-packages.txt
RUN apt-get update \
    && xargs -a /tmp/suite-apt-packages.txt apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/suite-apt-packages.txt
COPY --chown=odoo:odoo addons /mnt/extra-addons
COPY odoo.conf /etc/odoo/odoo.conf
USER odoo

FROM suite AS sandbox
USER root
# The emulators and their own dependencies, in a virtualenv (the system Python is Ubuntu's).
COPY sandbox /opt/sandbox/src/sandbox
RUN apt-get update && apt-get install -y --no-install-recommends python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/sandbox/venv \
    && /opt/sandbox/venv/bin/pip install --no-cache-dir /opt/sandbox/src/sandbox \
    && mkdir -p /cache && chown odoo:odoo /cache
# /cache holds the downloaded Shopify schema (compose mounts the schema-cache volume there, which takes
# this folder's owner).
USER odoo
ENTRYPOINT ["/opt/sandbox/venv/bin/python", "-m", "sandbox"]

FROM suite AS test
USER root
# Ubuntu's chromium is a snap stub that cannot run in a container: Odoo's browser tours get
# Google Chrome from Google's repository instead, as the OCA CI images do (amd64 only).
RUN apt-get update && apt-get install -y --no-install-recommends wget gnupg ca-certificates python3-venv \
        postgresql-client git \
    && wget -qO /tmp/chrome.deb https://dl.google.com/linux/direct/google-chrome-stable_current_amd64.deb \
    && apt-get install -y --no-install-recommends /tmp/chrome.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/chrome.deb
WORKDIR /suite
ENTRYPOINT ["python3", "tests/run"]
