// Vite build and dev server for the booking board; ptool serves the built files at / in production.
import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

const api = process.env.PTOOL_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    // The calendar's stylesheet uses native CSS nesting; browsers from 2023 on read it as is.
    target: "es2022",
    cssTarget: ["chrome115", "firefox117", "safari17"],
    emptyOutDir: true,
    assetsDir: "assets",
    // Keep everything in files: the server's CSP allows scripts from 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: "127.0.0.1",
    proxy: {
      "/api": { target: api, changeOrigin: true },
      "/socket.io": { target: api, changeOrigin: true, ws: true },
    },
  },
  preview: { host: "127.0.0.1" },
});
