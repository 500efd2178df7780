import type { PolicyOverview } from "../types";
import { ErrorAlert } from "./ErrorAlert";

interface Props {
  overview: PolicyOverview | null;
  error: string | null;
  /** The profile chosen in the settings (none: the policy's default). */
  profile: string | null;
}

/** The classification policy in effect: what the AI may process, and who may query what. */
export function PolicySection({ overview, error, profile }: Props) {
  if (error) return <ErrorAlert title="Politique de classification illisible" message={error} />;
  if (!overview) return null;
  const { policy, collections } = overview;
  const profilesOf = (label: string) =>
    policy.profiles.filter((p) => p.labels.includes(label)).map((p) => p.name);
  return (
    <section id="policy" className="fr-mt-4w">
      <h2 className="fr-h5">Politique de classification</h2>
      <p className="fr-text--sm">
        {policy.source.kind === "default"
          ? "Politique livrée avec Vigie (l'administrateur la remplace par policy.toml dans le dossier des données)."
          : `Politique de l'administrateur : ${policy.source.path}.`}{" "}
        Profil en vigueur : <strong id="policy-profile">{profile ?? policy.default_profile}</strong>. Empreinte SHA-256 :{" "}
        <code>{policy.sha256.slice(0, 16)}…</code>
      </p>
      <table className="fr-table fr-table--sm" id="policy-labels">
        <caption className="fr-sr-only">Niveaux de sensibilité</caption>
        <thead>
          <tr>
            <th>Niveau</th>
            <th>Traitement par l'IA</th>
            <th>Profils qui l'interrogent</th>
            <th>Collections importées</th>
          </tr>
        </thead>
        <tbody>
          {policy.labels.map((l) => (
            <tr key={l.name}>
              <td title={l.description}>{l.name}</td>
              <td>{l.ai_allowed ? "autorisé" : <strong>interdit (refusé à l'import)</strong>}</td>
              <td>{profilesOf(l.name).join(", ") || "—"}</td>
              <td>
                {collections
                  .filter((c) => c.label === l.name)
                  .map((c) => c.name)
                  .join(", ") || "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="fr-text--sm fr-mb-1w">Mentions qui imposent un niveau, cherchées sur chaque page d'un document importé :</p>
      <ul className="fr-text--sm">
        {policy.markers.map((m) => (
          <li key={m.text}>
            « {m.text} » → {m.label}
            {m.ignore_case ? " (toute casse)" : " (en majuscules)"}
          </li>
        ))}
      </ul>
    </section>
  );
}
