import { useEffect, useState } from "react";
import { api, errorMessage } from "../api";
import type { ConversationSummary } from "../types";

interface Props {
  currentId: number | null;
  version: number;
  onOpen: (id: number | null) => void;
  onChanged: (deletedId?: number) => void;
}

/** Saved conversations: search by title, open, rename, delete. */
export function ConversationList({ currentId, version, onOpen, onChanged }: Props) {
  const [items, setItems] = useState<ConversationSummary[]>([]);
  const [filter, setFilter] = useState("");
  const [editing, setEditing] = useState<number | null>(null);
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .conversations(filter)
      .then((list) => !cancelled && setItems(list))
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [filter, version]);

  const rename = async (id: number) => {
    try {
      await api.renameConversation(id, title);
      setEditing(null);
      onChanged();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const remove = async (c: ConversationSummary) => {
    if (!window.confirm(`Supprimer la conversation « ${c.title} » ?`)) return;
    try {
      await api.deleteConversation(c.id);
      onChanged(c.id);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <nav className="vg-sidebar" aria-label="Conversations enregistrées">
      <button id="new-conversation" className="fr-btn fr-btn--sm fr-icon-add-line fr-btn--icon-left fr-mb-2w" onClick={() => onOpen(null)}>
        Nouvelle conversation
      </button>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor="conversation-filter">
          Rechercher par titre
        </label>
        <input id="conversation-filter" className="fr-input" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      {error && <p className="fr-error-text">{error}</p>}
      <ul className="vg-conv-list" id="conversation-list">
        {items.length === 0 && <li className="fr-text--sm">Aucune conversation.</li>}
        {items.map((c) => (
          <li key={c.id} data-id={c.id}>
            {editing === c.id ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void rename(c.id);
                }}
              >
                <label className="fr-label fr-sr-only" htmlFor={`rename-${c.id}`}>
                  Nouveau titre
                </label>
                <input id={`rename-${c.id}`} className="fr-input" value={title} autoFocus onChange={(e) => setTitle(e.target.value)} />
                <button type="submit" className="fr-btn fr-btn--sm fr-mt-1w">
                  Renommer
                </button>
                <button type="button" className="fr-btn fr-btn--sm fr-btn--tertiary fr-mt-1w fr-ml-1w" onClick={() => setEditing(null)}>
                  Annuler
                </button>
              </form>
            ) : (
              <>
                <button className="vg-conv" aria-current={currentId === c.id} onClick={() => onOpen(c.id)}>
                  <span className="vg-conv-title">{c.title}</span>
                  <br />
                  <span className="fr-text--xs">{c.updated.slice(0, 10)} · {c.messages} messages</span>
                </button>
                <button
                  className="fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-edit-line"
                  title={`Renommer « ${c.title} »`}
                  onClick={() => {
                    setEditing(c.id);
                    setTitle(c.title);
                  }}
                >
                  Renommer
                </button>
                <button
                  className="fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-delete-line"
                  title={`Supprimer « ${c.title} »`}
                  onClick={() => remove(c)}
                >
                  Supprimer
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}
