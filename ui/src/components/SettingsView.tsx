import { useCallback, useEffect, useState } from "react";
import { api, errorMessage } from "../api";
import type { PolicyOverview, Settings, Status } from "../types";
import { DocumentImportForm } from "./DocumentImportForm";
import { ErrorAlert } from "./ErrorAlert";
import { ModelImportForm } from "./ModelImportForm";
import { PolicySection } from "./PolicySection";
import { frenchDate, indexLabel } from "./StatusBar";

interface Props {
  status: Status | null;
  onChanged: () => void;
  onShowNotice: () => void;
}

/** Model, generation settings, corpus and index state. */
export function SettingsView({ status, onChanged, onShowNotice }: Props) {
  const [draft, setDraft] = useState<Settings | null>(status?.settings ?? null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [policy, setPolicy] = useState<PolicyOverview | null>(null);
  const [policyError, setPolicyError] = useState<string | null>(null);

  useEffect(() => {
    if (status && !draft) setDraft(status.settings);
  }, [status, draft]);

  const loadPolicy = useCallback(() => {
    api.policy().then(
      (p) => {
        setPolicy(p);
        setPolicyError(null);
      },
      (e) => setPolicyError(errorMessage(e)),
    );
  }, []);
  useEffect(loadPolicy, [loadPolicy]);

  if (!status || !draft) return <section className="vg-content">Chargement…</section>;

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api.saveSettings(draft);
      setSaved(true);
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const rebuild = async () => {
    if (!window.confirm("Reconstruire l'index ? La recherche sera indisponible pendant quelques minutes.")) return;
    try {
      await api.rebuildIndex();
      onChanged();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const defaultModel = status.models.find((m) => m.default)?.name;
  const index = status.index;
  return (
    <section className="vg-content" aria-label="Paramètres">
      <h1 className="fr-h4">Paramètres</h1>
      {error && <ErrorAlert message={error} onClose={() => setError(null)} />}
      {saved && (
        <div className="fr-alert fr-alert--success fr-alert--sm fr-mb-2w" id="settings-saved">
          <p>Paramètres enregistrés.</p>
        </div>
      )}
      <form onSubmit={save} className="fr-mb-4w" id="settings-form">
        <fieldset className="fr-fieldset">
          <legend className="fr-fieldset__legend">Modèle de langue</legend>
          <div className="fr-select-group fr-fieldset__element">
            <label className="fr-label" htmlFor="settings-model">
              Modèle utilisé pour les réponses
              <span className="fr-hint-text">Seuls les modèles du manifeste, à la somme de contrôle vérifiée, sont chargés.</span>
            </label>
            <select
              className="fr-select"
              id="settings-model"
              value={draft.model ?? ""}
              onChange={(e) => setDraft({ ...draft, model: e.target.value || null })}
            >
              <option value="">Par défaut ({defaultModel ?? "aucun"})</option>
              {status.models.map((m) => (
                <option key={m.name} value={m.name} disabled={!m.present}>
                  {m.name} — {m.description}
                  {m.present ? "" : " (fichier absent)"}
                </option>
              ))}
            </select>
          </div>
          <div className="fr-input-group fr-fieldset__element">
            <label className="fr-label" htmlFor="settings-temperature">
              Température : {draft.temperature.toFixed(1)}
              <span className="fr-hint-text">0 : réponses reproductibles (recommandé).</span>
            </label>
            <input
              id="settings-temperature"
              type="range"
              min={0}
              max={1.5}
              step={0.1}
              value={draft.temperature}
              onChange={(e) => setDraft({ ...draft, temperature: Number(e.target.value) })}
            />
          </div>
          <div className="fr-input-group fr-fieldset__element">
            <label className="fr-label" htmlFor="settings-sources">
              Nombre d'articles proposés au modèle
              <span className="fr-hint-text">Entre 1 et 10.</span>
            </label>
            <input
              id="settings-sources"
              className="fr-input"
              type="number"
              min={1}
              max={10}
              value={draft.sources}
              onChange={(e) => setDraft({ ...draft, sources: Number(e.target.value) })}
            />
          </div>
        </fieldset>
        {policy && (
          <fieldset className="fr-fieldset">
            <legend className="fr-fieldset__legend">Documents du service</legend>
            <div className="fr-select-group fr-fieldset__element">
              <label className="fr-label" htmlFor="settings-profile">
                Profil de l'agent
                <span className="fr-hint-text">
                  Les questions ne cherchent que dans les collections que ce profil peut interroger.
                </span>
              </label>
              <select
                className="fr-select"
                id="settings-profile"
                value={draft.profile ?? ""}
                onChange={(e) => setDraft({ ...draft, profile: e.target.value || null })}
              >
                <option value="">Par défaut ({policy.policy.default_profile})</option>
                {policy.policy.profiles.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name} — {p.description} (niveaux : {p.labels.join(", ")})
                  </option>
                ))}
              </select>
            </div>
          </fieldset>
        )}
        <button className="fr-btn" id="settings-save" type="submit">
          Enregistrer
        </button>
      </form>

      <ModelImportForm onImported={onChanged} />
      {policy && <DocumentImportForm policy={policy} onImported={loadPolicy} />}

      <h2 className="fr-h5 fr-mt-4w">Corpus et index</h2>
      <table className="fr-table fr-table--sm">
        <thead>
          <tr>
            <th>Code</th>
            <th>Édition</th>
            <th>Articles</th>
            <th>Statut</th>
          </tr>
        </thead>
        <tbody>
          {status.editions.map((e) => (
            <tr key={e.code + e.date}>
              <td>{e.code}</td>
              <td>{frenchDate(e.date)}</td>
              <td>{e.articles}</td>
              <td>{e.in_force ? "en vigueur" : "historique"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="fr-text--sm">{status.editions.find((e) => e.in_force)?.credit}</p>
      <p id="index-state">
        Index de recherche : <strong>{indexLabel(status)}</strong>
        {index.phase === "ready" && index.rebuilt ? ` (reconstruit : ${index.rebuilt})` : ""}
      </p>
      {index.phase === "building" && (
        <progress className="vg-progress" max={index.total} value={index.done} aria-label="Construction de l'index" />
      )}
      {index.phase === "failed" && <ErrorAlert message={index.message_fr} />}
      <button
        className="fr-btn fr-btn--secondary fr-icon-refresh-line fr-btn--icon-left"
        id="rebuild-index"
        onClick={rebuild}
        disabled={index.phase === "building" || index.phase === "opening"}
      >
        Reconstruire l'index
      </button>
      <PolicySection overview={policy} error={policyError} profile={status.settings.profile} />
      <h2 className="fr-h5 fr-mt-4w">Données</h2>
      <p className="fr-text--sm">
        Dossier des données (conversations, index, journal) : <code>{status.data_dir}</code>
      </p>
      <button className="fr-btn fr-btn--tertiary" onClick={onShowNotice}>
        Relire l'avertissement sur l'IA
      </button>
    </section>
  );
}
