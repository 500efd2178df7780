import type { Status } from "../types";

/** The footer line: model, corpus editions, index state. */
export function StatusBar({ status }: { status: Status | null }) {
  if (!status) return <div className="vg-statusbar">Chargement…</div>;
  const inForce = status.editions.filter((e) => e.in_force);
  // The model the next answer will use; the one in memory may still be the previous choice.
  const model = status.settings.model ?? status.models.find((m) => m.default)?.name ?? "aucun";
  const loaded = status.model_loaded === model;
  return (
    <footer className="vg-statusbar" id="status-bar">
      <span>
        Modèle : <strong id="status-model">{model}</strong>
        {status.model_loading ? " (chargement…)" : loaded ? "" : " (chargé à la prochaine question)"}
        {status.model_loading && <progress className="vg-progress-inline" aria-label="Chargement du modèle" />}
      </span>
      <span id="status-corpus">
        Corpus : {inForce.map((e) => `${e.short} au ${frenchDate(e.date)}`).join(" · ")}
      </span>
      <span>Index : {indexLabel(status)}</span>
      <span>Hors ligne — aucune donnée ne quitte ce poste</span>
    </footer>
  );
}

export function frenchDate(iso: string): string {
  const [y, m, d] = iso.split("-");
  return d && m && y ? `${d}/${m}/${y}` : iso;
}

export function indexLabel(status: Status): string {
  switch (status.index.phase) {
    case "ready":
      return "prêt";
    case "building":
      return `construction ${status.index.done}/${status.index.total}`;
    case "failed":
      return "erreur";
    default:
      return "ouverture…";
  }
}
