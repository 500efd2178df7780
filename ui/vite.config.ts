import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Everything is bundled into dist/: the app never loads anything from a network.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { target: "safari15", outDir: "dist", sourcemap: false },
  test: { environment: "jsdom", globals: true },
});
