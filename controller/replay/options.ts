// What the CLI hands to replay(): everything already parsed.
export interface ReplayOptions {
  /** the recording file (gh-run --record) */
  recording: string;
  /** where receipt.json goes */
  output: string;
  /** write a receipt of what could be read from a truncated or damaged recording */
  partial: boolean;
}
