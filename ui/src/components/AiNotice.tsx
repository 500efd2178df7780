import { useEffect, useRef } from "react";

/** The notice every agent reads before the first use: an AI, sources to check, nothing leaves. */
export function AiNotice({ onAcknowledge, firstTime }: { onAcknowledge: () => void; firstTime: boolean }) {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <div className="vg-notice" role="dialog" aria-modal="true" aria-labelledby="notice-title" id="ai-notice">
      <div>
        <h1 id="notice-title" className="fr-h3">
          <span className="fr-icon-information-line fr-mr-1w" aria-hidden="true" />
          Vous échangez avec un système d'intelligence artificielle
        </h1>
        <p>
          Vigie est un <strong>assistant</strong> : il aide l'agent à trouver et lire les textes, il ne décide pas à
          sa place. Ses réponses sont produites par un modèle de langue et <strong>peuvent être inexactes</strong>.
        </p>
        <ul>
          <li>
            Vérifiez chaque réponse dans les <strong>articles cités</strong> : cliquez sur une citation pour lire
            l'article et le passage qui la justifie.
          </li>
          <li>Quand les textes ne permettent pas de répondre, Vigie le dit et montre les articles les plus proches.</li>
          <li>
            <strong>Rien ne quitte ce poste</strong> : le modèle, l'index et vos conversations restent sur la machine,
            sans connexion réseau.
          </li>
          <li>Chaque question et chaque réponse sont consignées dans un journal local, vérifiable.</li>
          <li>N'y saisissez pas de données qu'un document classifié vous interdit de traiter par une IA.</li>
        </ul>
        <p className="fr-text--sm">
          Textes : Légifrance (DILA), Licence Ouverte 2.0. Ce message reste disponible dans le menu « À propos de l'IA ».
        </p>
        <button ref={button} id="notice-accept" className="fr-btn" onClick={onAcknowledge}>
          {firstTime ? "J'ai compris" : "Fermer"}
        </button>
      </div>
    </div>
  );
}
