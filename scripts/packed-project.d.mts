export declare const repository: string;
export declare function packedProject(
  directory: string,
  options?: { files?: Record<string, string>; links?: readonly string[]; build?: boolean },
): Promise<string>;
