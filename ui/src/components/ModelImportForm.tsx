import { useState } from "react";
import { api, errorMessage } from "../api";
import type { ImportedModel, ModelImportProgress } from "../types";
import { ErrorAlert } from "./ErrorAlert";

/** Adds a GGUF file (a USB key, a shared folder) to the models, its checksum verified. */
export function ModelImportForm({ onImported }: { onImported: () => void }) {
  const [path, setPath] = useState("");
  const [name, setName] = useState("");
  const [sha256, setSha256] = useState("");
  const [makeDefault, setMakeDefault] = useState(false);
  const [progress, setProgress] = useState<ModelImportProgress | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [imported, setImported] = useState<ImportedModel | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setImported(null);
    setProgress(null);
    setRunning(true);
    try {
      const done = await api.importModel(
        { path, name, sha256: sha256.trim() || null, makeDefault },
        setProgress,
      );
      setImported(done);
      setPath("");
      setName("");
      setSha256("");
      onImported();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setRunning(false);
    }
  };

  const percent = progress ? Math.floor((progress.done * 100) / Math.max(progress.total, 1)) : 0;
  return (
    <form onSubmit={submit} className="fr-mb-4w" id="model-import-form">
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">Ajouter un modèle depuis un fichier GGUF</legend>
        <div className="fr-input-group fr-fieldset__element">
          <label className="fr-label" htmlFor="model-import-path">
            Chemin du fichier
            <span className="fr-hint-text">Par exemple /media/cle-usb/Ministral-8B-Instruct-Q4_K_M.gguf</span>
          </label>
          <input id="model-import-path" className="fr-input" required value={path} onChange={(e) => setPath(e.target.value)} />
        </div>
        <div className="fr-input-group fr-fieldset__element">
          <label className="fr-label" htmlFor="model-import-name">
            Nom du modèle dans Vigie
            <span className="fr-hint-text">Lettres, chiffres, « . », « - » et « _ ».</span>
          </label>
          <input id="model-import-name" className="fr-input" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="fr-input-group fr-fieldset__element">
          <label className="fr-label" htmlFor="model-import-sha256">
            Empreinte SHA-256 publiée avec le modèle
            <span className="fr-hint-text">
              Recommandée : la copie doit y correspondre, sinon rien n'est installé. Sans elle, l'empreinte calculée
              est affichée pour que vous la compariez.
            </span>
          </label>
          <input
            id="model-import-sha256"
            className="fr-input"
            spellCheck={false}
            value={sha256}
            onChange={(e) => setSha256(e.target.value)}
          />
        </div>
        <div className="fr-checkbox-group fr-fieldset__element">
          <input id="model-import-default" type="checkbox" checked={makeDefault} onChange={(e) => setMakeDefault(e.target.checked)} />
          <label className="fr-label" htmlFor="model-import-default">
            En faire le modèle par défaut
          </label>
        </div>
      </fieldset>
      {running && (
        <p id="model-import-progress">
          Copie et vérification : {percent} %
          <progress className="vg-progress" max={100} value={percent} aria-label="Copie du modèle" />
        </p>
      )}
      {error && <ErrorAlert title="Modèle non installé" message={error} onClose={() => setError(null)} />}
      {imported && (
        <div className="fr-alert fr-alert--success fr-alert--sm fr-mb-2w" id="model-import-done">
          <p>
            Modèle « {imported.name} » installé ({(imported.bytes / 1e6).toFixed(0)} Mo, architecture{" "}
            {imported.architecture}).{" "}
            {imported.checksum_verified ? "Empreinte conforme : " : "Empreinte calculée, à comparer avec celle publiée : "}
            <code>{imported.sha256}</code>
          </p>
        </div>
      )}
      <button className="fr-btn fr-btn--secondary" id="model-import-submit" type="submit" disabled={running}>
        {running ? "Copie en cours…" : "Ajouter le modèle"}
      </button>
    </form>
  );
}
