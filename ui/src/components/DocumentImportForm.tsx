import { useState } from "react";
import { api, errorMessage } from "../api";
import type { DocumentImportProgress, DocumentImportReport, PolicyOverview } from "../types";
import { ErrorAlert } from "./ErrorAlert";

function progressText(p: DocumentImportProgress): string {
  switch (p.stage) {
    case "reading":
      return `Lecture ${p.done}/${p.total} : ${p.file}`;
    case "admitted":
      return `Admis par la politique : ${p.documents} document(s), ${p.sections} section(s) dans la collection.`;
    case "index":
      return p.step === "embedding" ? `Indexation : ${p.done}/${p.total} passages` : "Construction de l'index…";
    case "committing":
      return "Enregistrement de la collection…";
  }
}

/** Imports the service's own documents (circulars, notes) into a collection, under the policy. */
export function DocumentImportForm({ policy, onImported }: { policy: PolicyOverview; onImported: () => void }) {
  const allowed = policy.policy.labels.filter((l) => l.ai_allowed);
  const [path, setPath] = useState("");
  const [collection, setCollection] = useState("");
  const [label, setLabel] = useState(allowed.find((l) => l.name === "interne")?.name ?? allowed[0]?.name ?? "");
  const [progress, setProgress] = useState<DocumentImportProgress | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<DocumentImportReport | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setReport(null);
    setProgress(null);
    setRunning(true);
    try {
      const done = await api.importDocuments({ path, collection, label }, setProgress);
      setReport(done);
      if (done.outcome && done.outcome.imported.length > 0) setPath("");
      onImported();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setRunning(false);
    }
  };

  const complete = report !== null && report.problems_fr.length === 0 && report.label_refused === null;
  return (
    <form onSubmit={submit} className="fr-mb-4w" id="doc-import-form">
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">
          Importer des documents du service
          <span className="fr-hint-text">
            Circulaires, notes, instructions (texte, Markdown, HTML, PDF, DOCX, XML Légifrance) : ils sont cherchés
            avec les codes et cités par nom de fichier et page. Un document portant une mention interdite à l'IA
            (« DIFFUSION RESTREINTE », « CONFIDENTIEL »…) est refusé et rien n'en est conservé.
          </span>
        </legend>
        <div className="fr-input-group fr-fieldset__element">
          <label className="fr-label" htmlFor="doc-import-path">
            Fichier ou dossier
            <span className="fr-hint-text">Par exemple /media/cle-usb/notes-de-service</span>
          </label>
          <input id="doc-import-path" className="fr-input" required value={path} onChange={(e) => setPath(e.target.value)} />
        </div>
        <div className="fr-input-group fr-fieldset__element">
          <label className="fr-label" htmlFor="doc-import-collection">
            Collection
            <span className="fr-hint-text">Minuscules, chiffres, « - » et « _ » ; créée si besoin.</span>
          </label>
          <input
            id="doc-import-collection"
            className="fr-input"
            required
            spellCheck={false}
            value={collection}
            onChange={(e) => setCollection(e.target.value)}
          />
        </div>
        <div className="fr-select-group fr-fieldset__element">
          <label className="fr-label" htmlFor="doc-import-label">
            Niveau de sensibilité
          </label>
          <select id="doc-import-label" className="fr-select" value={label} onChange={(e) => setLabel(e.target.value)}>
            {allowed.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name} — {l.description}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      {running && progress && (
        <p id="doc-import-progress" className="fr-text--sm">
          {progressText(progress)}
        </p>
      )}
      {error && <ErrorAlert title="Import impossible" message={error} onClose={() => setError(null)} />}
      {report && (
        <div
          className={`fr-alert fr-alert--sm fr-mb-2w ${complete ? "fr-alert--success" : "fr-alert--warning"}`}
          id="doc-import-done"
        >
          <p>{report.summary_fr}</p>
          {report.problems_fr.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
      <button className="fr-btn fr-btn--secondary" id="doc-import-submit" type="submit" disabled={running}>
        {running ? "Import en cours…" : "Importer"}
      </button>
    </form>
  );
}
