import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { startReactDsfr } from "@codegouvfr/react-dsfr/spa";
import { App } from "./App";
import "./app.css";

// Content-security violations are recorded where the end-to-end tests can read them: the app
// must load nothing but its own bundled files.
declare global {
  interface Window {
    __cspViolations: string[];
  }
}
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});

startReactDsfr({ defaultColorScheme: "light" });

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
