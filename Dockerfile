# Build stage: the server and the web client bundle, from Debian 12 packages and npm.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libwebsockets-dev libuv1-dev libhiredis-dev libcjson-dev libssl-dev liburing-dev check zlib1g-dev \
      nodejs npm ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATELIER_TESTS=OFF -DATELIER_BENCH=OFF \
 && cmake --build build -j"$(nproc)" \
 && node web-client/build.js

# Runtime stage: the binary, its shared libraries, the web files, and the tz
# database (a workshop's time zone is checked against it and its exports are
# written on its clock). libwebsockets loads its libuv event loop from a
# plugin that its runtime package does not pull in: libwebsockets-evlib-uv.
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libwebsockets17 libwebsockets-evlib-uv libuv1 libhiredis0.14 libcjson1 libssl3 liburing2 tzdata && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/atelier /usr/local/bin/atelier
COPY --from=build /src/web-client/dist /usr/share/atelier/web
USER nobody
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/atelier"]
