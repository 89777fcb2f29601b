/** Opaque, stable pagination cursors: the (deployment date, id) of the last record of a page. */
import { DeploymentError } from '../http/errors';

export interface CursorPosition {
  date: string;
  id: number;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.date}|${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(\d{1,16})$/.exec(text);
  if (!match) {
    throw new DeploymentError(400, 'bad_query', 'cursor: not a cursor this server issued; pass the nextCursor of the previous page unchanged.');
  }
  return { date: match[1]!, id: Number(match[2]) };
}
