/**
 * `environments/schema.json`, generated from the same zod definition that validates the files, so editors
 * complete and check exactly what `validate` accepts (cross-field rules aside).
 */
import { z } from "zod";
import { EnvironmentFileSchema } from "./schema";

export function environmentJsonSchema(): string {
  const schema = z.toJSONSchema(EnvironmentFileSchema, { io: "input", target: "draft-2020-12" });
  const titled = {
    $schema: schema.$schema,
    $id: "https://eks-ecr-access.invalid/environment.schema.json",
    title: "eks-ecr-access environment",
    description: "One environment: an EKS cluster in one account whose service accounts get roles for ECR in another. The file name (without .json) is the environment name.",
    ...schema,
  };
  return `${JSON.stringify(titled, null, 2)}\n`;
}
