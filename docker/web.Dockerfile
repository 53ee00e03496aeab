# The web app (apps/web, docs/web.md) as static files behind nginx, for the distributed
# topology: `docker build -f docker/web.Dockerfile .` from the repository root
# (docker-compose.yml's `web` service does this). nginx serves the build and hands /api and
# /files to the api and /ws to the gateways' load balancer, so the browser sees one origin,
# as it does with `npm start`.
#
# Stages: `manifests` keeps only the package.json files and the lock file, so the install is
# cached until one of them changes; `build` installs and runs Vite; the image is nginx
# (the unprivileged build: runs as uid 101, listens on 8080) plus the built files.

ARG NODE_IMAGE=node:24-trixie-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27-alpine

FROM ${NODE_IMAGE} AS manifests
COPY . /src
RUN mkdir -p /app \
 && cd /src \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents '{}' /app/ ';' \
 && cp package-lock.json .npmrc /app/ \
 && cd /app \
 && npm pkg delete engines.node

FROM ${NODE_IMAGE} AS build
ARG NPM_VERSION=11.19.1
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
RUN npm install --global "npm@${NPM_VERSION}" && npm cache clean --force
WORKDIR /app
COPY --from=manifests /app/ ./
RUN npm ci && npm cache clean --force
COPY tsconfig.base.json ./
COPY libs ./libs
COPY apps/web ./apps/web
RUN npx vite build --config apps/web/vite.config.mts --logLevel warn

FROM ${NGINX_IMAGE} AS web
COPY docker/web/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /app/apps/web/dist /usr/share/nginx/html
USER 101:101
EXPOSE 8080
