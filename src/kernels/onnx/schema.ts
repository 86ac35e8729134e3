/**
 * The subset of the ONNX protobuf schema this project writes and reads, as a protobufjs JSON
 * descriptor (so it compiles into dist/ with the rest of the code; no .proto file to ship).
 *
 * Field numbers and enum values are the official ones from onnx/onnx `onnx/onnx.proto`
 * (messages ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
 * TypeProto.Tensor, TensorShapeProto, OperatorSetIdProto, StringStringEntryProto). Only fields we
 * use are declared; protobuf readers skip unknown fields, so files written by other tools still
 * decode (their extra fields are simply dropped by `readModel`).
 */
import protobuf from 'protobufjs'

const f = (type: string, id: number, repeated = false, packed?: boolean) => ({
  type,
  id,
  ...(repeated ? { rule: 'repeated' } : {}),
  ...(packed === undefined ? {} : { options: { packed } }),
})

const descriptor = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: f('string', 1), value: f('string', 2) } },
        OperatorSetIdProto: { fields: { domain: f('string', 1), version: f('int64', 2) } },
        TensorShapeProto: {
          fields: { dim: f('Dimension', 1, true) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: { dim_value: f('int64', 1), dim_param: f('string', 2), denotation: f('string', 3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type'] } },
          fields: { tensor_type: f('Tensor', 1), denotation: f('string', 6) },
          nested: {
            Tensor: { fields: { elem_type: f('int32', 1), shape: f('TensorShapeProto', 2) } },
          },
        },
        ValueInfoProto: { fields: { name: f('string', 1), type: f('TypeProto', 2), doc_string: f('string', 3) } },
        TensorProto: {
          fields: {
            dims: f('int64', 1, true, true),
            data_type: f('int32', 2),
            float_data: f('float', 4, true, true),
            int32_data: f('int32', 5, true, true),
            string_data: f('bytes', 6, true),
            int64_data: f('int64', 7, true, true),
            name: f('string', 8),
            raw_data: f('bytes', 9),
            double_data: f('double', 10, true, true),
            uint64_data: f('uint64', 11, true, true),
            doc_string: f('string', 12),
            external_data: f('StringStringEntryProto', 13, true),
            data_location: f('int32', 14), // enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
          },
        },
        AttributeProto: {
          fields: {
            name: f('string', 1),
            f: f('float', 2),
            i: f('int64', 3),
            s: f('bytes', 4),
            t: f('TensorProto', 5),
            g: f('GraphProto', 6),
            floats: f('float', 7, true, false),
            ints: f('int64', 8, true, false),
            strings: f('bytes', 9, true),
            tensors: f('TensorProto', 10, true),
            graphs: f('GraphProto', 11, true),
            doc_string: f('string', 13),
            type: f('int32', 20), // enum AttributeType, see ATTR_TYPE
            ref_attr_name: f('string', 21),
          },
        },
        NodeProto: {
          fields: {
            input: f('string', 1, true),
            output: f('string', 2, true),
            name: f('string', 3),
            op_type: f('string', 4),
            attribute: f('AttributeProto', 5, true),
            doc_string: f('string', 6),
            domain: f('string', 7),
          },
        },
        GraphProto: {
          fields: {
            node: f('NodeProto', 1, true),
            name: f('string', 2),
            initializer: f('TensorProto', 5, true),
            doc_string: f('string', 10),
            input: f('ValueInfoProto', 11, true),
            output: f('ValueInfoProto', 12, true),
            value_info: f('ValueInfoProto', 13, true),
          },
        },
        ModelProto: {
          fields: {
            ir_version: f('int64', 1),
            producer_name: f('string', 2),
            producer_version: f('string', 3),
            domain: f('string', 4),
            model_version: f('int64', 5),
            doc_string: f('string', 6),
            graph: f('GraphProto', 7),
            opset_import: f('OperatorSetIdProto', 8, true),
            metadata_props: f('StringStringEntryProto', 14, true),
          },
        },
      },
    },
  },
}

const root = protobuf.Root.fromJSON(descriptor)
export const ModelProto = root.lookupType('onnx.ModelProto')

/** TensorProto.DataType values (onnx.proto). */
export const DATA_TYPE = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
  float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
} as const

/** AttributeProto.AttributeType values (onnx.proto). */
export const ATTR_TYPE = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
} as const
