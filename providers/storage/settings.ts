/** How the service reaches object storage: a folder, or any S3-compatible store. */
export type StorageConfig =
  | { backend: 'fs'; maxObjectBytes: number; directory: string }
  | {
      backend: 's3';
      maxObjectBytes: number;
      endpoint: string | undefined;
      region: string;
      bucket: string;
      accessKeyId: string | undefined;
      secretAccessKey: string | undefined;
      forcePathStyle: boolean;
    };
