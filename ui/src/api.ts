// The only module that talks to Tauri. Every other module calls these functions, so the page
// can be tested without a window and the IPC surface is visible in one place.

import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AnswerEvent,
  ArticleHistory,
  ArticleView,
  AskOutcome,
  CommandError,
  Conversation,
  ConversationSummary,
  DocumentImportProgress,
  DocumentImportReport,
  DocumentView,
  ExportOutcome,
  ImportedModel,
  ModelImportProgress,
  PolicyOverview,
  SearchResults,
  Settings,
  Status,
} from "./types";

/** The French message of any error thrown by a command. */
export function errorMessage(e: unknown): string {
  if (typeof e === "object" && e !== null && "message_fr" in e) {
    return (e as CommandError).message_fr;
  }
  if (typeof e === "string") return e;
  return "Erreur inattendue : consultez le journal de l'application.";
}

export const api = {
  status: () => invoke<Status>("status"),
  saveSettings: (settings: Settings) => invoke<void>("save_settings", { settings }),
  search: (query: string, k = 10) => invoke<SearchResults>("search", { query, k }),
  article: (id: string) => invoke<ArticleView>("article", { id }),
  articleHistory: (id: string) => invoke<ArticleHistory>("article_history", { id }),
  document: (id: string) => invoke<DocumentView>("document", { id }),
  importDocuments: (
    request: { path: string; collection: string; label: string },
    onProgress: (p: DocumentImportProgress) => void,
  ) => {
    const channel = new Channel<DocumentImportProgress>();
    channel.onmessage = onProgress;
    return invoke<DocumentImportReport>("import_documents", { ...request, onProgress: channel });
  },
  loadModel: () => invoke<{ name: string; sha256: string }>("load_model"),
  ask: (conversation: number | null, question: string, onEvent: (e: AnswerEvent) => void) => {
    const channel = new Channel<AnswerEvent>();
    channel.onmessage = onEvent;
    return invoke<AskOutcome>("ask", { conversation, question, onEvent: channel });
  },
  importModel: (
    request: { path: string; name: string; sha256: string | null; makeDefault: boolean },
    onProgress: (p: ModelImportProgress) => void,
  ) => {
    const channel = new Channel<ModelImportProgress>();
    channel.onmessage = onProgress;
    return invoke<ImportedModel>("import_model", { ...request, onProgress: channel });
  },
  policy: () => invoke<PolicyOverview>("policy"),
  cancel: () => invoke<boolean>("cancel"),
  conversations: (filter?: string) =>
    invoke<ConversationSummary[]>("conversations", { filter: filter || null }),
  conversation: (id: number) => invoke<Conversation>("conversation", { id }),
  renameConversation: (id: number, title: string) =>
    invoke<void>("rename_conversation", { id, title }),
  deleteConversation: (id: number) => invoke<void>("delete_conversation", { id }),
  exportConversation: (id: number, format: "markdown" | "html") =>
    invoke<ExportOutcome>("export_conversation", { id, format }),
  rebuildIndex: () => invoke<void>("rebuild_index"),
};
