import { Alert } from "@codegouvfr/react-dsfr/Alert";

/** An error shown to the agent, in French, as a DSFR alert. */
export function ErrorAlert({ title, message, onClose }: { title?: string; message: string; onClose?: () => void }) {
  return (
    <Alert
      severity="error"
      title={title ?? "Erreur"}
      description={message}
      small={false}
      closable={onClose !== undefined}
      onClose={onClose}
      className="vg-error fr-mb-2w"
    />
  );
}
